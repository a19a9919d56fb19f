"""Provider accounts: codes, passwords, SSH keys, the providers/ folder, demo accounts."""
