"""Building blocks that several definitions in ``defs/`` share: asset specs and factories,
partitions, pools, retry policy. Nothing here is a definition itself."""
