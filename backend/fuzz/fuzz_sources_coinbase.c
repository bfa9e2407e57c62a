/* fuzz_sources_coinbase.c — libFuzzer harness: the Coinbase adapter's WebSocket frames and REST
 * bodies (sources/exchange_coinbase.c); input format in fuzz_exchange.h. */
#include "fuzz_exchange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_exchange(&cpe_exchange_coinbase, data, size);
}
