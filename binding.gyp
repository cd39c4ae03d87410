{
  "targets": [
    {
      "target_name": "blekit_seqpacket",
      "sources": ["src/native/seqpacket.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
