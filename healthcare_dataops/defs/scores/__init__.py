"""The champion's scores for the stays open at the end of each delivery day."""
