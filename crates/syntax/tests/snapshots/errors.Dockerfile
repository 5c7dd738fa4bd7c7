# escape=x
# syntax=a
# syntax=b
FROM a
ENV novalue
ENV k=v bad
