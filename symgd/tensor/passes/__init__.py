"""The passes of the tensor pipeline, IR in and IR out, one per file (see symgd.tensor.pipeline)."""
