"""Request-file exchange: reception, stages of checks, responses, forwarding (spec/exchange.md)."""
