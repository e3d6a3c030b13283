; Inno Setup 6 script: an installer for the PyInstaller one-folder build of csdesk.
;
; Build on Windows (it cannot be built on Linux; see packaging/README.md):
;   .venv\Scripts\pyinstaller --noconfirm --distpath dist\pyinstaller packaging\pyinstaller\csdesk.spec
;   dist\pyinstaller\csdesk\csdesk.exe --self-test        (exit code 0: the build works)
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\csdesk.iss
; Output: dist\installer\csdesk-<version>-setup.exe
;
; Per-user install by default (no administrator rights needed on agents' PCs), per-machine
; when the installer is run elevated or with /ALLUSERS. The user's data (the local cache,
; settings, the embedded demo server's database) lives in %LOCALAPPDATA%\csdesk and is left
; in place on uninstall; the sign-in token is in Windows Credential Manager (keyring).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "csdesk"
#define AppPublisher "csdesk contributors"
#define AppExe "csdesk.exe"
#define SourceDir "..\..\dist\pyinstaller\csdesk"

[Setup]
AppId={{6B0C3D5E-2F4A-4C1B-9E57-3D8A6F1C2B90}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppComments=Customer service workstation: email, chat, phone and messages in one accessible inbox
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
OutputDir=..\..\dist\installer
OutputBaseFilename=csdesk-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
; Close a running csdesk (and its embedded server child) before files are replaced.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "german"; MessagesFile: "compiler:Languages\German.isl"
Name: "french"; MessagesFile: "compiler:Languages\French.isl"
Name: "spanish"; MessagesFile: "compiler:Languages\Spanish.isl"
Name: "dutch"; MessagesFile: "compiler:Languages\Dutch.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder build: csdesk.exe and _internal\ (Qt, Python, resources, migrations).
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; A previous version's bundled libraries must not linger beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Customer service workstation"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon; Comment: "Customer service workstation"

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
