"""Model families: the EDGE-style diffusion denoiser (network) and its sampler (process)."""
