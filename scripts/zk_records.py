"""ZooKeeper protocol records kazoo 2.8 does not offer, and the four-letter
words, shared by the harness scripts (node_workload.py, node_zk_compat.py,
plan_vs_ensemble.py). Records plug into KazooClient._call."""
import socket
from collections import namedtuple

from kazoo.protocol.serialization import (int_struct, long_struct, read_string,
                                          stat_struct, write_buffer, write_string)
from kazoo.protocol.states import ZnodeStat


def ser_create(path, data, acl, flags):
    """A CreateRequest body: path, data (None is null), ACLs, flags."""
    b = bytearray()
    b.extend(write_string(path))
    b.extend(write_buffer(data))
    b.extend(int_struct.pack(len(acl)))
    for a in acl:
        b.extend(int_struct.pack(a.perms) + write_string(a.id.scheme) + write_string(a.id.id))
    b.extend(int_struct.pack(flags))
    return b


def read_path_stat(buf, offset):
    """A Create2Response: (path, ZnodeStat), next offset."""
    path, offset = read_string(buf, offset)
    return (path, ZnodeStat._make(stat_struct.unpack_from(buf, offset))), offset + stat_struct.size


class RawCreate(namedtuple("RawCreate", "path data acl flags")):
    """OpCode.create (1) with arbitrary flags / path / null data."""
    type = 1

    def serialize(self):
        return ser_create(self.path, self.data, self.acl, self.flags)

    @classmethod
    def deserialize(cls, buf, offset):
        return read_string(buf, offset)[0]


class RawCreate2(RawCreate):
    """OpCode.create2 (15): the reply carries the new node's Stat."""
    type = 15

    @classmethod
    def deserialize(cls, buf, offset):
        return read_path_stat(buf, offset)[0]


class CreateContainer(RawCreate2):
    """OpCode.createContainer (19), CreateRequest body, flags CONTAINER (4)."""
    type = 19


class CreateTTL(namedtuple("CreateTTL", "path data acl flags ttl")):
    """OpCode.createTTL (21): flags PERSISTENT_WITH_TTL (5) or
    PERSISTENT_SEQUENTIAL_WITH_TTL (6)."""
    type = 21

    def serialize(self):
        b = ser_create(self.path, self.data, self.acl, self.flags)
        b.extend(long_struct.pack(self.ttl))
        return b

    @classmethod
    def deserialize(cls, buf, offset):
        return read_path_stat(buf, offset)[0]


def four_letter(hostport, cmd=b"srvr", timeout=5.0):
    """Sends a four-letter word (str or bytes) and returns the whole answer."""
    if isinstance(cmd, str):
        cmd = cmd.encode()
    host, port = hostport.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(cmd)
        chunks = []
        while True:
            d = s.recv(65536)
            if not d:
                break
            chunks.append(d)
    return b"".join(chunks).decode("utf-8", "replace")
