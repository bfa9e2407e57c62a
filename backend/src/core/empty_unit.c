/* An empty translation unit for a layer that has no sources yet. */
typedef int cpe_empty_unit_t;
