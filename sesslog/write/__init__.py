"""The write layer: durability modes, the commit queue and the appender, over the storage seam."""
