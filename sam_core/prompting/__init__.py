"""From prompts to measured objects: points and boxes in map coordinates, prompt files, SAM's decoder, the
interactive session, batch prompting, and automatic "segment everything" with its tile merge."""
