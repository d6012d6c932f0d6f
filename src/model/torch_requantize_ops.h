// The operators an int8 ONNX graph imported into LibTorch calls for its
// requantization (onnx_script.cc emits verger.requantize_ and
// verger.requantize_dw_): one pass each where ATen needs several.
#pragma once

namespace verger {

// Registers verger::requantize_ and verger::requantize_dw_ (CPU) with
// LibTorch's dispatcher, once per process. Call before importing, loading or
// running a module that uses them. Thread-safe.
void RegisterRequantizeOps();

}  // namespace verger
