/* fuzz_sources_whale_alert.c — libFuzzer harness: the whale_alert answers' parser
 * (sources/onchain_parse.c); input and checks in fuzz_onchain.h. */
#include "fuzz_onchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_onchain(CPE_OC_WHALE_ALERT, data, size);
}
