"""Placeholder until the extraction module lands."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractConfig:
    min_text_length: int = 250


def extract(page, config=ExtractConfig()):
    raise NotImplementedError
