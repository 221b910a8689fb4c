// Placeholder translation unit so the target always has a source (remove once real sources exist).
