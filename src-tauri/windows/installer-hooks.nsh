; Instant Share: the NSIS installer's hooks (`bundle.windows.nsis.installerHooks`).
;
; A silent install can set up the IT department's policy file:
;
;   instant-share_x.y.z_x64-setup.exe /S /HOST_URL=https://help.example.com /LOCK_HOST=1
;
; writes %ProgramData%\Instant Share\policy.json:
;
;   {"host_url": "https://help.example.com", "lock_host": true}
;
; Without /HOST_URL nothing is written and an existing policy file stays as it is (an update
; keeps IT's settings). /LOCK_HOST=1 without /HOST_URL, or an address the file cannot carry, stops
; the install before anything is installed, with a message (exit code 2 in a silent install).
; The app checks the address itself when it starts (https://, or http:// only to this computer).
;
; %ProgramData% is shared by every account; only an elevated installer (the perMachine install
; mode, or "both" run as an administrator) can make the file that ordinary users cannot change.
; Checked on Linux by scripts/check-installers.sh (makensis compiles it inside a harness).

!include LogicLib.nsh
!include FileFunc.nsh

; Reads /HOST_URL= into $R1 and /LOCK_HOST= into $R2 (`true` or `false`, as JSON), and stops the
; installer (exit code 2) on options the policy file cannot carry. Uses $R0, $R4, $R5 and $R6.
!macro INSTANT_SHARE_POLICY_OPTIONS
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/HOST_URL=" $R1
  ${If} ${Errors}
    StrCpy $R1 ""
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/LOCK_HOST=" $R4
  ${If} ${Errors}
    StrCpy $R4 "0"
  ${EndIf}
  ${If} $R4 == "1"
  ${OrIf} $R4 == "true"
    StrCpy $R2 "true"
  ${Else}
    StrCpy $R2 "false"
  ${EndIf}
  ${If} $R1 == ""
  ${AndIf} $R2 == "true"
    MessageBox MB_ICONSTOP|MB_OK "/LOCK_HOST=1 needs /HOST_URL=https://... : there is no help host to lock." /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
  ; The address goes into a JSON string as it is: refuse what would need escaping there.
  StrCpy $R5 0
  ${Do}
    StrCpy $R6 $R1 1 $R5
    ${If} $R6 == ""
      ${Break}
    ${EndIf}
    ${If} $R6 == '"'
    ${OrIf} $R6 == "\"
    ${OrIf} $R6 == " "
    ${OrIf} $R6 == "$\t"
      MessageBox MB_ICONSTOP|MB_OK "/HOST_URL may not contain quotes, backslashes or spaces: $R1" /SD IDOK
      SetErrorLevel 2
      Quit
    ${EndIf}
    IntOp $R5 $R5 + 1
  ${Loop}
!macroend

!macro INSTANT_SHARE_SAVE_REGISTERS
  Push $R0
  Push $R1
  Push $R2
  Push $R3
  Push $R4
  Push $R5
  Push $R6
  Push $R7
!macroend

!macro INSTANT_SHARE_RESTORE_REGISTERS
  Pop $R7
  Pop $R6
  Pop $R5
  Pop $R4
  Pop $R3
  Pop $R2
  Pop $R1
  Pop $R0
!macroend

; Before any file is installed: bad options stop here, with nothing changed.
!macro NSIS_HOOK_PREINSTALL
  !insertmacro INSTANT_SHARE_SAVE_REGISTERS
  !insertmacro INSTANT_SHARE_POLICY_OPTIONS
  !insertmacro INSTANT_SHARE_RESTORE_REGISTERS
!macroend

; After the app is installed: the policy file, when /HOST_URL was given. $R3 the folder, $R7 the
; file handle.
!macro NSIS_HOOK_POSTINSTALL
  !insertmacro INSTANT_SHARE_SAVE_REGISTERS
  !insertmacro INSTANT_SHARE_POLICY_OPTIONS
  ${If} $R1 != ""
    ReadEnvStr $R3 "ProgramData"
    ${If} $R3 == ""
      StrCpy $R3 "C:\ProgramData"
    ${EndIf}
    StrCpy $R3 "$R3\Instant Share"
    ClearErrors
    CreateDirectory "$R3"
    FileOpen $R7 "$R3\policy.json" w
    ${If} ${Errors}
      MessageBox MB_ICONSTOP|MB_OK "Cannot write $R3\policy.json: run the installer as an administrator." /SD IDOK
      SetErrorLevel 2
      Quit
    ${EndIf}
    FileWrite $R7 '{"host_url": "$R1", "lock_host": $R2}$\r$\n'
    FileClose $R7
    DetailPrint "IT policy written to $R3\policy.json (host $R1, locked: $R2)"
  ${EndIf}
  !insertmacro INSTANT_SHARE_RESTORE_REGISTERS
!macroend
