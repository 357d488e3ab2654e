print("spool-bench")
