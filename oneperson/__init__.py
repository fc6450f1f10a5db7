"""oneperson: one person, one file for China's basic medical insurance."""
