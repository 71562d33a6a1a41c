"""`ssegen diff`: what changed between two versions of the specs, and whom it breaks."""
