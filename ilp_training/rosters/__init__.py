"""The coordinator roster, the skill-gap matrix, the district view and the exports."""
