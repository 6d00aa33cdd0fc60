/* wasm_infer_kernels_abi_version: the kernel ABI this side module implements
 * (pointer/size/params conventions in kernels.h). wasm_infer/kernels/
 * refuses a module whose version it does not know. */
#include "kernels.h"

WI_EXPORT int32_t wasm_infer_kernels_abi_version(void) { return WI_KERNELS_ABI_VERSION; }
