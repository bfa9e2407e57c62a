/* fuzz_sources_okx.c — libFuzzer harness: the Okx adapter's WebSocket frames and REST
 * bodies (sources/exchange_okx.c); input format in fuzz_exchange.h. */
#include "fuzz_exchange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_exchange(&cpe_exchange_okx, data, size);
}
