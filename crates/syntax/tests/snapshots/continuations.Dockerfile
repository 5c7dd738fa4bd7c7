FROM alpine AS base
RUN apt-get update \
    # explain the next step

    && apt-get install -y curl \
    && rm -rf /var/lib/apt/lists/*
FROM base A\
S final
LABEL a=b \
      c="d e"
ENV legacy value with spaces
CMD echo done \
