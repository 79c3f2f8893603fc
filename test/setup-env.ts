// Dawn needs a runtime dir; CI machines may not set one.
process.env.XDG_RUNTIME_DIR ??= '/tmp';
