"""ZooKeeper protocol records kazoo 2.8 does not offer, for the checks that
drive zabra-node and ZooKeeper with requests kazoo cannot make (create with
any flags or null data, create2, createContainer, createTTL, a top-level
check, a multi that parses create2 results, getEphemerals,
getAllChildrenNumber).  Records plug into KazooClient._call through call()."""
from collections import namedtuple

from kazoo.exceptions import EXCEPTIONS
from kazoo.protocol.serialization import (CheckVersion, MultiHeader, Transaction, int_struct, long_struct,
                                          read_string, stat_struct, write_buffer, write_string)
from kazoo.protocol.states import ZnodeStat


def send(zk, request):
    """Sends any protocol record through kazoo; returns kazoo's async result."""
    ar = zk.handler.async_result()
    zk._call(request, ar)
    return ar


def call(zk, request, timeout=15.0):
    """Sends any protocol record through kazoo and waits for the answer
    (raises the server's error as kazoo's exception)."""
    return send(zk, request).get(timeout=timeout)


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


def read_stat(buf, offset):
    """A Stat: (ZnodeStat, next offset)."""
    return ZnodeStat._make(stat_struct.unpack_from(buf, offset)), offset + stat_struct.size


def read_path_stat(buf, offset):
    """A Create2Response: (path, ZnodeStat), next offset."""
    path, offset = read_string(buf, offset)
    stat, offset = read_stat(buf, offset)
    return (path, stat), offset


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
    """A stand-alone check request (OpCode.check, 13).  ZooKeeper 3.8.0 never
    answers a *successful* one (its FinalRequestProcessor hits a
    NullPointerException serializing the reply): use the failing case."""
    type = 13

    def serialize(self):
        return CheckVersion(self.path, self.version).serialize()

    @classmethod
    def deserialize(cls, buf, offset):
        if len(buf) - offset >= stat_struct.size:
            return read_stat(buf, offset)[0]
        return "empty-body"


class ZKError(Exception):
    """An error code kazoo has no exception class for."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def exc_for(code):
    """kazoo's exception for a ZooKeeper error code, or ZKError."""
    return EXCEPTIONS[code]() if code in EXCEPTIONS else ZKError(code)


class Multi(namedtuple("Multi", "operations")):
    """OpCode.multi (14) that, unlike kazoo's Transaction, also parses
    create2 / createContainer / createTTL results."""
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
                r = exc_for(int_struct.unpack_from(buf, offset)[0])
                offset += int_struct.size
            else:
                results.append("unexpected-result-type:%d" % header.type)
                break
            results.append(r)
            header, offset = MultiHeader.deserialize(buf, offset)
        return results


class _OnePathRequest:
    """A request whose body is one path."""
    __slots__ = ()

    def serialize(self):
        return write_string(self[0])


class GetEphemerals(_OnePathRequest, namedtuple("GetEphemerals", "prefix")):
    """OpCode.getEphemerals (103): the paths of the session's ephemerals
    under prefix."""
    type = 103

    @classmethod
    def deserialize(cls, buf, offset):
        n = int_struct.unpack_from(buf, offset)[0]
        offset += int_struct.size
        out = []
        for _ in range(max(n, 0)):
            s, offset = read_string(buf, offset)
            out.append(s)
        return out


class GetAllChildrenNumber(_OnePathRequest, namedtuple("GetAllChildrenNumber", "path")):
    """OpCode.getAllChildrenNumber (104): how many nodes are below path."""
    type = 104

    @classmethod
    def deserialize(cls, buf, offset):
        return int_struct.unpack_from(buf, offset)[0]
