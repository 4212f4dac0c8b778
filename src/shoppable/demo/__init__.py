"""The demo: shops imported from real export files, demo accounts, placeholder images drawn locally."""
