#!/usr/bin/env python3
"""CDK entry point: `cdk synth -c stage=prod` (default stage: dev). See stacks/dam_stack.py."""

import os

# jsii warns on every run about Node 20; the version is known and fine here.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# Imported after the line above: jsii starts its Node process on the first aws_cdk import.
from stacks.dam_stack import build_app

if __name__ == "__main__":
    build_app().synth()
