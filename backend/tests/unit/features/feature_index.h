/* feature_index.h — the feature tests' column lookup: the index of a feature name, or exit
 * with a message (a renamed feature fails loudly instead of reading column -1). */
#ifndef CPE_TEST_FEATURE_INDEX_H
#define CPE_TEST_FEATURE_INDEX_H

#include "cpe/features.h"

#include <stdio.h>
#include <stdlib.h>

static inline int fi(const char *name)
{
    int i = cpe_feature_index(name);
    if (i < 0) {
        fprintf(stderr, "no feature %s\n", name);
        exit(2);
    }
    return i;
}

#endif
