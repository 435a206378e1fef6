"""Peer tests: one module each, registered in tests/CMakeLists.txt with zabra_peer_test()."""
