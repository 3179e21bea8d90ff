"""The Python training worker: CFGAN, BPR-MF and NeuMF trainers in JAX with the same math, the same
artifacts and (with the same randomness) the same results as the TypeScript trainers, and a
Temporal worker that serves the training stages on their own task queue.
"""
