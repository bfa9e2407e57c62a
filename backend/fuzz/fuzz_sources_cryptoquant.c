/* fuzz_sources_cryptoquant.c — libFuzzer harness: the cryptoquant answers' parser
 * (sources/onchain_parse.c); input and checks in fuzz_onchain.h. */
#include "fuzz_onchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_onchain(CPE_OC_CRYPTOQUANT, data, size);
}
