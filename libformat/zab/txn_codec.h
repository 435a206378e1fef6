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

// What verify needs to know of a payload, found without building the body:
// check_txn throws FormatError exactly when decode_txn does, and agrees with
// it on everything below (a test holds them to that).
struct TxnCheck {
    TxnHeader header;
    std::optional<TxnDigest> digest;
    std::size_t trailing = 0;    // bytes after the body that are not a digest
    bool unknown_type = false;   // decode_txn would give a RawTxn body
    int bad_op = -1;             // first multi op that does not decode (or is of unknown type)
};

TxnCheck check_txn(ByteSpan payload, const TxnDecodeOptions& options = {});

std::string encode_txn(const Txn& txn);
void encode_txn_body(const TxnBody& body, std::string& out);

}  // namespace zabra::zab
