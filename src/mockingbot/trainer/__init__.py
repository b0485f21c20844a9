"""Training: TF/Keras models, data pipeline and the GAN loop (needs the ``[train]`` extra)."""
