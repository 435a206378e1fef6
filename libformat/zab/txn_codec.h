// Txn-log record payload <-> typed Txn. Decoding throws FormatError with the
// offset inside the payload; encoding reproduces ZooKeeper's bytes.
#pragma once

#include "libformat/zab/txn.h"

namespace zabra::zab {

struct TxnDecodeOptions {
    std::uint32_t max_buffer = kDefaultMaxBuffer;
};

Txn decode_txn(ByteSpan payload, const TxnDecodeOptions& options = {});

// Just the 32-byte header (throws if the payload is shorter).
TxnHeader decode_txn_header(ByteSpan payload);

// Decodes a body of the given type that fills `bytes` exactly (as inside a
// multi). Throws FormatError on damage or leftover bytes.
TxnBody decode_txn_body(std::int32_t type, ByteSpan bytes, const TxnDecodeOptions& options = {});

std::string encode_txn(const Txn& txn);
void encode_txn_body(const TxnBody& body, std::string& out);

}  // namespace zabra::zab
