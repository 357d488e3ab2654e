print("spoold: not yet")
