"""The examples in cruce.names docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "cruce.names",
    "cruce.names._aliases",
    "cruce.names._features",
    "cruce.names._hypocorisms",
    "cruce.names._org",
    "cruce.names._parser",
    "cruce.names._phonetic",
    "cruce.names._text",
    "cruce.names._units",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0
