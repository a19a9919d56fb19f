"""The stages of spec/exchange.md section 4, one module each; the chain is in pipeline.py."""
