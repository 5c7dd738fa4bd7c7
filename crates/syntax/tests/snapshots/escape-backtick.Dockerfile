# escape=`
FROM mcr.microsoft.com/windows/servercore AS base
RUN powershell -Command `
    Write-Host hello `
    # a comment inside the continuation

    ; Write-Host world
COPY C:\\src\\ C:\\app\\
