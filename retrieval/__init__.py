"""Retrieval: chunking, embeddings, Chroma, hybrid search."""
