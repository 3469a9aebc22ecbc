{
  "targets": [
    {
      "target_name": "secdns_channel",
      "sources": ["native/record_aead.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
