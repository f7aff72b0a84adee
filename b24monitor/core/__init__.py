"""Pure, standard-library-only logic: decoding, filters, export formats, the event model."""
