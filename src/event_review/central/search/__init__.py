"""Finding events and reviews again: filtered, newest first, paged by keyset."""
