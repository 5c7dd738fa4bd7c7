FROM alpine
CMD ["echo", "a\u00e9"]
ENTRYPOINT ["broken", ]
SHELL [ "/bin/sh", "-c" ]
RUN [1, "x"]
VOLUME ["/data"] 
CMD []
