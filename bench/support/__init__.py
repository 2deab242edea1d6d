"""Helpers the benchmarks and the tests share: processes, real corpora, served homes,
load and soak drivers, scripted chat models."""
