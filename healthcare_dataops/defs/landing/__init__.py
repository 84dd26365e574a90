"""The landing zone: the sensor that turns arriving files into runs."""
