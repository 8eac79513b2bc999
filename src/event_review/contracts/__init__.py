"""Wire contracts shared by central and regional code: the only thing both import."""
