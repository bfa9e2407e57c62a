/* fuzz_sources_defillama.c — libFuzzer harness: the defillama answers' parser
 * (sources/onchain_parse.c); input and checks in fuzz_onchain.h. */
#include "fuzz_onchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_onchain(CPE_OC_DEFILLAMA, data, size);
}
