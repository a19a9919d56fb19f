"""Rules of stages 3 to 5, one small module per family; RECORD_RULES lists stage 4 in order."""
