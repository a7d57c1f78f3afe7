-- The eight dihedral PDQ hashes of an image (orig, rot90, rot180, rot270,
-- flipx, flipy, flipplus1, flipminus1), comma-separated, so that rotated or
-- mirrored copies are matched against hash sets.
ALTER TABLE content ADD COLUMN pdq_dihedral TEXT;
