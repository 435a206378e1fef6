"""ZooKeeper protocol records kazoo 2.8 does not offer through its API, for
workloads that need every request type (createContainer, createTTL, create
with raw flags or null data, a top-level check, a multi with create2-style
results).  They plug into kazoo's own request machinery: kazoo only needs
.type, .serialize() and .deserialize(); send one with call(zk, record).
Four-letter words are tests.peers.fourlw's."""
from collections import namedtuple

from kazoo.exceptions import EXCEPTIONS
from kazoo.protocol.serialization import (CheckVersion, MultiHeader, Transaction, int_struct, long_struct,
                                          read_string, stat_struct, write_buffer, write_string)
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


def read_stat(buf, offset):
    """A Stat: ZnodeStat, next offset."""
    return ZnodeStat._make(stat_struct.unpack_from(buf, offset)), offset + stat_struct.size


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


class TopCheck(namedtuple("TopCheck", "path version")):
    """A stand-alone (non-multi) check request, OpCode.check (13).  ZooKeeper
    3.8.0 answers it with a SetDataResponse (a Stat), if at all."""
    type = 13

    def serialize(self):
        return CheckVersion(self.path, self.version).serialize()

    @classmethod
    def deserialize(cls, buf, offset):
        return read_stat(buf, offset)[0]


class Multi(namedtuple("Multi", "operations")):
    """OpCode.multi (14) that, unlike kazoo's Transaction, also understands
    Create2Response results (create2/createTTL/createContainer sub-ops)."""
    type = 14

    def serialize(self):
        return Transaction(self.operations).serialize()

    @classmethod
    def deserialize(cls, buf, offset):
        results = []
        header, offset = MultiHeader.deserialize(buf, offset)
        while not header.done:
            if header.type == 1:
                r, offset = read_string(buf, offset)
            elif header.type in (15, 19, 21):
                r, offset = read_path_stat(buf, offset)
            elif header.type in (2, 13):
                r = True
            elif header.type == 5:
                r, offset = read_stat(buf, offset)
            elif header.type == -1:
                err = int_struct.unpack_from(buf, offset)[0]
                offset += int_struct.size
                r = EXCEPTIONS[err]()
            else:
                raise ValueError("unexpected multi result type %d" % header.type)
            results.append(r)
            header, offset = MultiHeader.deserialize(buf, offset)
        return results


def send(zk, request):
    """Sends any record through kazoo; returns kazoo's async result."""
    ar = zk.handler.async_result()
    zk._call(request, ar)
    return ar


def call(zk, request, timeout=30.0):
    """Sends any record through kazoo and waits for the answer (raises the
    server's error as kazoo's exception)."""
    return send(zk, request).get(timeout=timeout)
